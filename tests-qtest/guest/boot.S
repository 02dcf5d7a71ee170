/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry points of the qemu-hyperv guest payload.
 *
 * The BSP arrives from QEMU's multiboot loader in 32-bit protected mode
 * with paging off (EAX = multiboot magic, EBX = multiboot info).  APs
 * arrive in real mode at the trampoline that the BSP copied to
 * GUEST_TRAMPOLINE_ADDR.  Both then go through ENTER_LONG_MODE: identity
 * map of the low 4 GiB with 2 MiB pages, EFER.LME, paging, 64-bit CS.
 */
#include "layout.h"

#define MULTIBOOT_MAGIC         0x1badb002
/* bit 1: we want mem_* in the info block; no a.out kludge (ELF load) */
#define MULTIBOOT_FLAGS         0x00000002

#define CR0_PE                  (1 << 0)
#define CR0_PG                  (1 << 31)
#define CR4_PAE                 (1 << 5)
#define MSR_EFER                0xc0000080
#define EFER_LME                (1 << 8)

#define PTE_P                   0x001
#define PTE_RW                  0x002
#define PTE_PWT                 0x008
#define PTE_PCD                 0x010
#define PTE_PS                  0x080

/*
 * Paging on with the identity map, EFER.LME, then a far jump into the
 * 64-bit code segment at \target.  Needs no stack.
 */
.macro ENTER_LONG_MODE target
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_PE), %eax
    movl %eax, %cr0
    ljmp $GUEST_CS64, $\target
.endm

    .section .multiboot, "a"
    .balign 4
    .long MULTIBOOT_MAGIC
    .long MULTIBOOT_FLAGS
    .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

/* ------------------------------------------------------------------ */
    .text
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, %esi                 /* multiboot magic; ax is needed below */
    /*
     * The multiboot spec leaves GDTR undefined: load ours before touching
     * any segment register.
     */
    lgdt gdt_desc
    ljmp $GUEST_CS32, $1f
1:
    movw $GUEST_DS, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $(GUEST_STACKS_BASE + GUEST_STACK_SIZE), %esp

    /* .bss holds the page tables: clear it before building them. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl %esi, boot_mb_magic
    movl %ebx, boot_mb_info

    /* PML4[0] -> PDPT, PDPT[0..3] -> pd[0..3] */
    movl $pdpt, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, pml4
    movl $pd, %eax
    orl $(PTE_P | PTE_RW), %eax
    xorl %ecx, %ecx
2:
    movl %eax, pdpt(, %ecx, 8)
    addl $0x1000, %eax
    incl %ecx
    cmpl $4, %ecx
    jb 2b

    /*
     * 2048 2 MiB pages = 4 GiB identity.  From 3 GiB up lie the PCI hole,
     * the IOAPIC and the LAPIC (0xfee00000): map those uncached.
     */
    xorl %ecx, %ecx
3:
    movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_RW | PTE_PS), %eax
    cmpl $1536, %ecx
    jb 4f
    orl $(PTE_PWT | PTE_PCD), %eax
4:
    movl %eax, pd(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 3b

    ENTER_LONG_MODE bsp_long_mode

/*
 * AP path, 32-bit: reached from the trampoline with CS = GUEST_CS32 and
 * the real-mode data segments still loaded.
 */
    .globl ap_entry32
ap_entry32:
    movw $GUEST_DS, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    ENTER_LONG_MODE ap_long_mode

/* ------------------------------------------------------------------ */
    .code64
bsp_long_mode:
    movw $GUEST_DS, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    movq $(GUEST_STACKS_BASE + GUEST_STACK_SIZE), %rsp
    movl boot_mb_magic, %edi
    movl boot_mb_info, %esi
    call bsp_main
    jmp cpu_park

ap_long_mode:
    movw $GUEST_DS, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    /* Arrival order picks the stack; the BSP is slot 0. */
    movl $1, %eax
    lock xaddl %eax, ap_next_slot
    cmpl $GUEST_MAX_CPUS, %eax
    jae cpu_park
    movl %eax, %edi
    leaq 1(%rax), %rsp
    shlq $GUEST_STACK_SHIFT, %rsp
    addq $GUEST_STACKS_BASE, %rsp
    call ap_main
    /* fall through */

    .globl cpu_park
cpu_park:
    cli
    hlt
    jmp cpu_park

/* ------------------------------------------------------------------ */
/*
 * Interrupt stubs: 16 bytes each, stub N at isr_stubs + 16 * N.  Vectors
 * where the CPU pushes no error code push a 0 so that every frame looks
 * the same to isr_common (see GuestIrqFrame in libguest.h).
 */
    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || \
        (vec == 21) || (vec == 29) || (vec == 30)
    pushq $vec
    .else
    pushq $0
    pushq $vec
    .endif
    jmp isr_common
    .set vec, vec + 1
    .endr

isr_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    /*
     * The CPU aligned RSP to 16 before pushing its 5-qword frame; with the
     * 2 qwords of vector/error code and 15 registers we are aligned again.
     */
    movq %rsp, %rdi
    cld
    call idt_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

/* ------------------------------------------------------------------ */
/*
 * AP start-up trampoline, copied to GUEST_TRAMPOLINE_ADDR by smp_boot().
 * Position independent within itself: it only uses CS-relative data and
 * absolute addresses of the payload proper.
 */
    .code16
    .globl ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (ap_trampoline_gdt_desc - ap_trampoline_start)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $GUEST_CS32, $ap_entry32
    .balign 8
ap_trampoline_gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
ap_trampoline_end:

/* ------------------------------------------------------------------ */
    .data
    .balign 16
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* GUEST_CS64: 64-bit code */
    .quad 0x00cf92000000ffff        /* GUEST_DS: flat data */
    .quad 0x00cf9a000000ffff        /* GUEST_CS32: flat 32-bit code */
gdt_end:

    .balign 8
    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .quad gdt

    .balign 4
    .globl boot_mb_magic, boot_mb_info, ap_next_slot
boot_mb_magic:
    .long 0
boot_mb_info:
    .long 0
ap_next_slot:
    .long 1

    .bss
    .balign 4096
    .globl pml4, pdpt, pd
pml4:
    .skip 4096
pdpt:
    .skip 4096
pd:
    .skip 4 * 4096

    .section .note.GNU-stack, "", @progbits
